// The page's one EventSource on /v1/events. EventSource cannot send an Authorization header, so
// each connection first trades the key for a single-use ticket (POST /v1/events/tickets) and
// carries only that ticket in its URL. A ticket works once: when the connection drops, this closes
// the EventSource (so that the browser does not retry with a spent ticket) and reconnects with a
// new ticket and last_event_id, which makes the server replay what changed meanwhile.

import { api } from './api.js';

export class LiveStream {
  constructor({ onTask, onDeleted, onState, onReconnected }) {
    this.onTask = onTask;
    this.onDeleted = onDeleted;
    this.onState = onState;
    this.onReconnected = onReconnected;
    this.lastEventId = null;
    this.source = null;
    this.retryMs = 1000;
    this.stopped = false;
    this.opened = false;
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
    this.onState('connecting');
    let ticket;
    try {
      ticket = (await api('POST', '/v1/events/tickets')).ticket;
    } catch (err) {
      this.onState(err.status === 401 ? 'unauthorized' : 'offline', err);
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
      this.onState('live');
      if (again && this.onReconnected) {
        this.onReconnected();
      }
    });
    source.addEventListener('task.updated', (e) => {
      if (e.lastEventId) {
        this.lastEventId = e.lastEventId;
      }
      this.onTask(JSON.parse(e.data));
    });
    source.addEventListener('task.deleted', (e) => this.onDeleted(JSON.parse(e.data)));
    source.addEventListener('error', () => {
      // Never let the browser retry on its own: the ticket in the URL is spent.
      source.close();
      if (this.source === source) {
        this.source = null;
        this.onState('offline');
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
