// The page's one EventSource on /v1/events. EventSource cannot send an Authorization header, so
// each connection first trades the key for a single-use ticket (POST /v1/events/tickets) and
// carries only that ticket in its URL. A ticket works once: when the connection drops, this closes
// the EventSource (so that the browser does not retry with a spent ticket) and reconnects with a
// new ticket and last_event_id, which makes the server replay what changed meanwhile.

import { api } from './api.js';

export class LiveStream {
  lastEventId = null;
  source = null;
  retryMs = 1000;
  stopped = false;
  opened = false;

  /** handlers: { onTask(task), onDeleted(deleted), onState(state), onReconnected() (optional) }. */
  constructor(handlers) {
    this.handlers = handlers;
  }

  async start() {
    this.stopped = false;
    await this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.source) {
      this.source.close();
      this.source = null;
    }
    clearTimeout(this.timer);
  }

  async connect() {
    if (this.stopped) {
      return;
    }
    this.handlers.onState('connecting');
    let ticket;
    try {
      ticket = (await api('POST', '/v1/events/tickets')).ticket;
    } catch (err) {
      this.handlers.onState(err.status === 401 ? 'unauthorized' : 'offline', err);
      if (err.status !== 401) {
        this.schedule();
      }
      return;
    }
    const params = new URLSearchParams({ ticket });
    if (this.lastEventId) {
      params.set('last_event_id', this.lastEventId);
    }
    const source = new EventSource(`/v1/events?${params}`);
    this.source = source;
    source.addEventListener('open', () => {
      const again = this.opened;
      this.opened = true;
      this.retryMs = 1000;
      this.handlers.onState('live');
      if (again && this.handlers.onReconnected) {
        this.handlers.onReconnected();
      }
    });
    source.addEventListener('task.updated', (e) => {
      if (e.lastEventId) {
        this.lastEventId = e.lastEventId;
      }
      this.handlers.onTask(JSON.parse(e.data));
    });
    source.addEventListener('task.deleted', (e) => this.handlers.onDeleted(JSON.parse(e.data)));
    source.addEventListener('error', () => {
      // Never let the browser retry on its own: the ticket in the URL is spent.
      source.close();
      if (this.source === source) {
        this.source = null;
        this.handlers.onState('offline');
        this.schedule();
      }
    });
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 15000);
  }
}
