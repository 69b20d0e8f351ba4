import type { BlockNode, InlineNode } from './markdown.js';

/** How a citation link finds the source it points at. */
export interface CitationTarget {
  /** Element id of the source entry for the given source index. */
  idFor(index: number): string;
  /** Called when the reader activates a citation. */
  activate(index: number): void;
}

/**
 * Builds DOM nodes for parsed markdown. Text only ever goes through `textContent`/text nodes and
 * attributes are set one by one, so the output contains exactly the elements created here.
 */
export function renderMarkdown(blocks: BlockNode[], citations?: CitationTarget): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of blocks) fragment.append(renderBlock(block, citations));
  return fragment;
}

function renderBlock(block: BlockNode, citations: CitationTarget | undefined): HTMLElement {
  switch (block.kind) {
    case 'paragraph': {
      const paragraph = document.createElement('p');
      appendInline(paragraph, block.children, citations);
      return paragraph;
    }
    case 'heading': {
      // answers live inside an article that has its own heading level; keep the outline shallow
      const heading = document.createElement(block.level === 1 ? 'h3' : block.level === 2 ? 'h4' : 'h5');
      appendInline(heading, block.children, citations);
      return heading;
    }
    case 'list': {
      const list = document.createElement(block.ordered ? 'ol' : 'ul');
      if (block.ordered && block.start !== 1) list.setAttribute('start', String(block.start));
      for (const item of block.items) {
        const entry = document.createElement('li');
        appendInline(entry, item, citations);
        list.append(entry);
      }
      return list;
    }
    case 'code-block': {
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = block.text;
      pre.append(code);
      return pre;
    }
  }
}

function appendInline(parent: HTMLElement, nodes: InlineNode[], citations: CitationTarget | undefined): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        parent.append(document.createTextNode(node.text));
        break;
      case 'break':
        parent.append(document.createElement('br'));
        break;
      case 'code': {
        const code = document.createElement('code');
        code.textContent = node.text;
        parent.append(code);
        break;
      }
      case 'strong':
      case 'em': {
        const element = document.createElement(node.kind);
        appendInline(element, node.children, citations);
        parent.append(element);
        break;
      }
      case 'link': {
        const link = document.createElement('a');
        link.href = node.href;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        appendInline(link, node.children, citations);
        parent.append(link);
        break;
      }
      case 'citation': {
        if (!citations) {
          parent.append(document.createTextNode(`[${node.label}]`));
          break;
        }
        const link = document.createElement('a');
        link.className = 'citation';
        link.href = `#${citations.idFor(node.target)}`;
        link.textContent = String(node.target + 1);
        link.title = `Source ${node.target + 1}: ${node.label}`;
        link.setAttribute('aria-label', `Source ${node.target + 1} (${node.label})`);
        link.dataset.sourceIndex = String(node.target);
        const target = node.target;
        link.addEventListener('click', (event) => {
          event.preventDefault();
          citations.activate(target);
        });
        parent.append(link);
        break;
      }
    }
  }
}
