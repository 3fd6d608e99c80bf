// Small helpers to build DOM without innerHTML (task data is user input: text only).

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === 'class') {
      node.className = value;
    } else if (name === 'text') {
      node.textContent = value;
    } else if (name.startsWith('on')) {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : value);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** Unix seconds as a date and time in the viewer's time zone, in a <time> element. */
export function time(unixSeconds) {
  if (unixSeconds === null || unixSeconds === undefined) {
    return el('span', { text: '—' });
  }
  const date = new Date(unixSeconds * 1000);
  return el('time', { datetime: date.toISOString(), title: date.toString(), text: dateTime.format(date) });
}

export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'your local time zone';
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
export const STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'];

export function label(status) {
  return status.replace('_', ' ');
}
