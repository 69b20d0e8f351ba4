import type { KeyValueStorage } from './history-store.js';

export type Theme = 'light' | 'dark';

const THEME_KEY = 'review-assistant.theme';

/**
 * Light/dark theme: follows `prefers-color-scheme` until the reader picks one with the toggle;
 * the pick is remembered. The stylesheet keys its colours off `html[data-theme]`.
 */
export class ThemeController {
  private readonly media = window.matchMedia('(prefers-color-scheme: dark)');
  private chosen: Theme | undefined;

  constructor(
    private readonly toggle: HTMLButtonElement,
    private readonly storage: KeyValueStorage | undefined,
  ) {
    this.chosen = this.read();
    this.apply();
    this.media.addEventListener('change', () => this.apply());
    toggle.addEventListener('click', () => {
      const next: Theme = this.current() === 'dark' ? 'light' : 'dark';
      try {
        this.storage?.setItem(THEME_KEY, next);
      } catch {
        // storage disabled: the choice lasts for this page only
      }
      this.chosen = next;
      this.apply();
    });
  }

  current(): Theme {
    return this.chosen ?? (this.media.matches ? 'dark' : 'light');
  }

  private read(): Theme | undefined {
    try {
      const value = this.storage?.getItem(THEME_KEY);
      return value === 'light' || value === 'dark' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private apply(): void {
    const theme = this.current();
    document.documentElement.dataset.theme = theme;
    this.toggle.setAttribute('aria-pressed', String(theme === 'dark'));
    this.toggle.title = theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme';
  }
}
