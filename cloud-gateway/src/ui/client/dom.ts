/** Attributes accepted by {@link element}; `class` and `text` are shortcuts, the rest are attributes. */
export interface ElementOptions {
  class?: string;
  text?: string;
  attributes?: Record<string, string>;
}

/**
 * Creates an element whose text goes through `textContent` (never parsed as HTML) and whose
 * attributes are set one by one.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.class) node.className = options.class;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attributes ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

/** Finds a required element of the page, failing loudly when the markup and the code disagree. */
export function required<T extends Element>(selector: string, type: new () => T): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`chat UI: missing element ${selector}`);
  return found;
}
