import { ChatApp } from './chat-app.js';
import { required } from './dom.js';
import { HistoryStore, type KeyValueStorage } from './history-store.js';
import { ThemeController } from './theme.js';

function browserStorage(): KeyValueStorage | undefined {
  try {
    return window.localStorage;
  } catch {
    // storage blocked (privacy settings): the chat works, it just forgets on reload
    return undefined;
  }
}

function boot(): void {
  const storage = browserStorage();
  new ThemeController(required('#theme-toggle', HTMLButtonElement), storage);
  const app = new ChatApp({
    store: new HistoryStore(storage),
    elements: {
      scroller: required('#conversation', HTMLElement),
      messages: required('#messages', HTMLOListElement),
      emptyState: required('#empty-state', HTMLElement),
      form: required('#composer', HTMLFormElement),
      input: required('#message', HTMLTextAreaElement),
      send: required('#send', HTMLButtonElement),
      stop: required('#stop', HTMLButtonElement),
      newChat: required('#new-chat', HTMLButtonElement),
      badge: required('#status-badge', HTMLElement),
      banner: required('#status-banner', HTMLElement),
    },
  });
  app.start();
  document.documentElement.dataset.ready = 'true';
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
