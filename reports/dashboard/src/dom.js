// Small DOM helpers: every text goes in through textContent, never innerHTML,
// so names and messages from the history cannot inject markup.

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('data-') || name === 'href' || name === 'id' || name === 'title' || name === 'role')
      node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of [].concat(children)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A view's frame: a section with an anchor, a heading and a short note.
export function section(id, title, note) {
  const body = el('div', { class: 'view-body' });
  const node = el('section', { id, class: 'view', 'data-view': id }, [
    el('h2', {}, [el('a', { href: `#${id}`, text: title })]),
    note ? el('p', { class: 'note', text: note }) : null,
    body,
  ]);
  return { node, body };
}

// What a view shows when there is nothing to draw, with the reason.
export function emptyState(message) {
  return el('p', { class: 'empty', 'data-empty': 'true', text: message });
}

export function formatMs(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const digits = Math.abs(value) >= 100 ? 1 : Math.abs(value) >= 1 ? 3 : 4;
  return value.toFixed(digits);
}

export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toPrecision(digits);
}

export function formatDate(iso) {
  if (!iso) return '-';
  return String(iso).replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, ' UTC');
}
