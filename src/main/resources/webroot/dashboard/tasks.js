// The task list, its filters and pages, and the counts by status, kept live from the page's one
// event stream (see live.js): no polling. Counts move with each change of a task whose previous
// status the page knows; for any other change they are read again (at most once a second).

import { api } from './api.js';
import { el, time, label, TERMINAL, STATUSES } from './format.js';

/** True when Trace a is at least as new as Trace b (for a listed state against a streamed one). */
function atLeastAsNew(a, b) {
  if (a.updated_at !== b.updated_at) {
    return a.updated_at > b.updated_at;
  }
  if (TERMINAL.has(a.status) !== TERMINAL.has(b.status)) {
    return TERMINAL.has(a.status);
  }
  return a.progress >= b.progress;
}

export class TasksView {
  constructor(toast) {
    this.toast = toast;
    this.rows = document.getElementById('task-rows');
    this.empty = document.getElementById('empty');
    this.countsList = document.getElementById('counts');
    this.types = document.getElementById('known-types');
    this.filters = { status: '', type: '', limit: 20 };
    this.cursor = null; // {after} or {before}; null is the first page
    this.page = { hasOlder: false, hasNewer: false };
    this.known = new Map(); // task id -> last status seen (list or stream), for the counts
    this.queued = []; // {task} or {deleted} streamed while a list was loading
    this.loading = false;
    this.counts = null;
    this.typeNames = new Set();
    this.bind();
  }

  bind() {
    const form = document.getElementById('filters');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.filters = {
        status: document.getElementById('filter-status').value,
        type: document.getElementById('filter-type').value.trim(),
        limit: Number(document.getElementById('filter-limit').value),
      };
      this.cursor = null;
      this.reload();
    });
    document.getElementById('page-first').addEventListener('click', () => {
      this.cursor = null;
      this.reload();
    });
    document.getElementById('page-older').addEventListener('click', () => {
      const last = this.rows.lastElementChild;
      if (last) {
        this.cursor = { after: last.dataset.taskId };
        this.reload();
      }
    });
    document.getElementById('page-newer').addEventListener('click', () => {
      const first = this.rows.firstElementChild;
      if (first) {
        this.cursor = { before: first.dataset.taskId };
        this.reload();
      }
    });
  }

  async reload() {
    const query = new URLSearchParams({ limit: String(this.filters.limit) });
    if (this.filters.status) {
      query.set('status', this.filters.status);
    }
    if (this.filters.type) {
      query.set('type', this.filters.type);
    }
    if (this.cursor && this.cursor.after) {
      query.set('after', this.cursor.after);
    }
    if (this.cursor && this.cursor.before) {
      query.set('before', this.cursor.before);
    }
    this.loading = true;
    try {
      const [list] = await Promise.all([api('GET', `/v1/tasks?${query}`), this.loadCounts()]);
      this.rows.replaceChildren();
      for (const task of list.data) {
        this.rows.append(this.row(task));
        this.known.set(task.id, task.status);
        this.noteType(task.type);
      }
      if (!this.cursor) {
        this.page = { hasOlder: list.has_more, hasNewer: false };
      } else if (this.cursor.after) {
        this.page = { hasOlder: list.has_more, hasNewer: true };
      } else {
        this.page = { hasOlder: true, hasNewer: list.has_more };
      }
      this.updatePager();
    } catch (err) {
      this.toast(`Could not load tasks: ${err.message}`);
    } finally {
      this.loading = false;
      this.applyQueued();
      document.body.dataset.loaded = 'true';
    }
  }

  /**
   * Changes streamed while the list and counts were loading: the list may already hold them (or
   * something newer), and the counts may or may not include them, so rows take the newer state
   * and the counts are read once more.
   */
  applyQueued() {
    const queued = this.queued;
    this.queued = [];
    for (const { task, deleted } of queued) {
      if (deleted) {
        this.onDeleted(deleted);
        continue;
      }
      const row = this.findRow(task.id);
      if (row && !atLeastAsNew(task, row.task)) {
        continue;
      }
      this.known.delete(task.id);
      this.apply(task, false);
    }
    if (queued.length > 0) {
      this.refreshCountsSoon();
    }
  }

  async loadCounts() {
    const query = this.filters.type ? `?type=${encodeURIComponent(this.filters.type)}` : '';
    const reply = await api('GET', `/v1/task_counts${query}`);
    this.counts = reply.counts;
    this.renderCounts();
  }

  refreshCountsSoon() {
    if (this.countsTimer) {
      return;
    }
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null;
      this.loadCounts().catch((err) => this.toast(`Could not load counts: ${err.message}`));
    }, 1000);
  }

  renderCounts() {
    const items = STATUSES.map((status) => el('li', { class: `count status-${status}` },
      el('button', {
        type: 'button',
        'aria-pressed': this.filters.status === status ? 'true' : 'false',
        'data-status': status,
        title: `Show only ${label(status)} tasks`,
        onclick: () => this.filterStatus(status),
      }, el('span', { class: 'count-n', text: String(this.counts[status] ?? 0) }),
      el('span', { class: 'count-label', text: label(status) }))));
    this.countsList.replaceChildren(...items);
  }

  filterStatus(status) {
    const next = this.filters.status === status ? '' : status;
    document.getElementById('filter-status').value = next;
    this.filters.status = next;
    this.cursor = null;
    this.reload();
  }

  updatePager() {
    document.getElementById('page-older').disabled = !this.page.hasOlder;
    document.getElementById('page-newer').disabled = !this.page.hasNewer;
    document.getElementById('page-first').disabled = !this.cursor;
    this.empty.hidden = this.rows.childElementCount > 0;
  }

  noteType(type) {
    if (!this.typeNames.has(type)) {
      this.typeNames.add(type);
      this.types.append(el('option', { value: type }));
    }
  }

  matches(task) {
    return (!this.filters.status || this.filters.status === task.status)
      && (!this.filters.type || this.filters.type === task.type);
  }

  /** A change from the stream (or the reply to a cancel). */
  onTask(task) {
    if (this.loading) {
      this.queued.push({ task });
      return;
    }
    this.apply(task, true);
  }

  apply(task, count) {
    this.noteType(task.type);
    if (count) {
      this.countChange(task.id, task.status, task.type);
    } else {
      this.known.set(task.id, task.status);
    }
    const existing = this.findRow(task.id);
    if (existing) {
      this.update(existing, task);
    } else if (!this.cursor && this.matches(task)) {
      this.rows.prepend(this.row(task));
      while (this.rows.childElementCount > this.filters.limit) {
        this.rows.lastElementChild.remove();
        this.page.hasOlder = true;
      }
      this.updatePager();
    }
  }

  onDeleted(deleted) {
    if (this.loading) {
      this.queued.push({ deleted });
      return;
    }
    this.countChange(deleted.id, null, null);
    const row = this.findRow(deleted.id);
    if (row) {
      row.remove();
      this.updatePager();
    }
  }

  countChange(id, status, type) {
    if (!this.counts || (type && this.filters.type && type !== this.filters.type)) {
      return;
    }
    const previous = this.known.get(id);
    if (previous === status) {
      return;
    }
    if (previous) {
      this.counts[previous] -= 1;
    }
    if (status && (previous || status === 'pending')) {
      this.counts[status] += 1;
    } else if (status || !previous) {
      this.refreshCountsSoon(); // a change of a task the page never saw: its old status is unknown
    }
    if (status) {
      this.known.set(id, status);
    } else {
      this.known.delete(id);
    }
    this.renderCounts();
  }

  findRow(id) {
    for (const row of this.rows.children) {
      if (row.dataset.taskId === id) {
        return row;
      }
    }
    return null;
  }

  /** A row for the task; update() fills in what changes. */
  row(task) {
    const tr = el('tr', { 'data-task-id': task.id },
      el('th', { scope: 'row', class: 'task', 'data-label': 'Task' },
        el('div', {}, el('code', { class: 'task-id', text: task.id }), el('span', { class: 'type', text: task.type }))),
      el('td', { 'data-label': 'Status' }, el('div', {}, el('span', { class: 'status' }))),
      el('td', { 'data-label': 'Progress', class: 'progress-cell' },
        el('div', {}, el('progress', { max: '100', value: '0', 'aria-label': `Progress of ${task.id}` }),
          el('span', { class: 'pct' }))),
      el('td', { 'data-label': 'Stage', class: 'stage' }),
      el('td', { 'data-label': 'Data', class: 'data' }),
      el('td', { 'data-label': 'Failure', class: 'failure' }),
      el('td', { 'data-label': 'Created', class: 'created' }, time(task.created_at)),
      el('td', { 'data-label': 'Updated', class: 'updated' }),
      el('td', { class: 'actions', 'data-label': 'Actions' }));
    this.update(tr, task);
    return tr;
  }

  /** Updates a row in place: focus, an open data panel and the row itself stay as they are. */
  update(tr, task) {
    tr.task = task;
    const data = task.data || {};
    const progress = Math.round((task.progress || 0) * 100);
    tr.dataset.status = task.status;
    const status = tr.querySelector('.status');
    status.className = `status status-${task.status}`;
    status.textContent = label(task.status);
    tr.querySelector('progress').value = progress;
    tr.querySelector('.pct').textContent = `${progress}%`;
    tr.querySelector('.stage').textContent = data.stage ?? '—';
    tr.querySelector('.failure').textContent = task.failure_reason ?? '—';
    tr.querySelector('.updated').replaceChildren(time(task.updated_at));
    const shown = { ...data };
    delete shown.operation;
    const cell = tr.querySelector('.data');
    const count = Object.keys(shown).length;
    if (count === 0) {
      cell.replaceChildren(el('span', { text: '—' }));
    } else {
      let details = cell.querySelector('details');
      if (!details) {
        details = el('details', {}, el('summary'), el('pre'));
        cell.replaceChildren(details);
      }
      details.querySelector('summary').textContent = `${count} ${count === 1 ? 'key' : 'keys'}`;
      details.querySelector('pre').textContent = JSON.stringify(shown, null, 2);
    }
    const actions = tr.querySelector('.actions');
    const want = TERMINAL.has(task.status) ? 'delete' : 'cancel';
    if (!actions.querySelector(`button.${want}`)) {
      const hadFocus = actions.contains(document.activeElement);
      const path = `/v1/tasks/${encodeURIComponent(task.id)}`;
      const button = want === 'cancel'
        ? el('button', {
          type: 'button', class: 'cancel', 'aria-label': `Cancel ${task.id}`, text: 'Cancel',
          onclick: (e) => this.act(e.currentTarget, 'POST', `${path}/cancel`, task.id),
        })
        : el('button', {
          type: 'button', class: 'delete danger', 'aria-label': `Delete ${task.id}`, text: 'Delete',
          onclick: (e) => this.act(e.currentTarget, 'DELETE', path, task.id),
        });
      actions.replaceChildren(button);
      if (hadFocus) {
        button.focus();
      }
    }
  }

  async act(button, method, path, id) {
    button.disabled = true;
    try {
      const reply = await api(method, path);
      if (reply && reply.object === 'task') {
        this.onTask(reply);
      } else if (reply && reply.deleted) {
        this.onDeleted(reply);
      }
    } catch (err) {
      button.disabled = false;
      this.toast(`${method === 'DELETE' ? 'Delete' : 'Cancel'} of ${id} failed: ${err.message}`);
    }
  }
}
