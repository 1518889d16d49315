/** Tiny DOM builder. Text goes through textContent only: nothing from results is parsed as HTML. */
type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : v);
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** A two-column table of label and value, as text. */
export function kvTable(rows: Array<[string, string]>): HTMLTableElement {
  return el('table', { class: 'kv' }, el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}

/** A wide table in its own horizontally scrolling box, so it never widens the page (phones included). */
export function scrollBox(table: HTMLTableElement): HTMLDivElement {
  return el('div', { class: 'table-scroll' }, table);
}
