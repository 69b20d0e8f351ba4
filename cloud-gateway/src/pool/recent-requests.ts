import type { RoutedRequest } from './types.js';

/** A fixed-size ring of the most recent routed requests, for the admin page. */
export class RecentRequests {
  private readonly items: RoutedRequest[] = [];

  constructor(private readonly capacity = 200) {}

  add(request: RoutedRequest): void {
    this.items.push(request);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** Newest first. */
  list(): RoutedRequest[] {
    return [...this.items].reverse();
  }
}
