export type Cell = string | number;

export interface Table {
  columns: string[];
  rows: Cell[][];
  /** Columns whose cells are right-aligned (numbers); by default every column but the first. */
  alignRight?: boolean[];
}

function text(cell: Cell): string {
  return typeof cell === 'number' ? String(cell) : cell;
}

/** A fixed-width table for the terminal. */
export function textTable(table: Table): string {
  const right = table.alignRight ?? table.columns.map((_, index) => index > 0);
  const widths = table.columns.map((column, index) => Math.max(column.length, ...table.rows.map((row) => text(row[index] ?? '').length)));
  const line = (cells: Cell[]) =>
    cells
      .map((cell, index) => (right[index] ? text(cell).padStart(widths[index]!) : text(cell).padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(table.columns), widths.map((width) => '-'.repeat(width)).join('  '), ...table.rows.map(line)].join('\n');
}

/** The same table as GitHub markdown, to paste into docs/benchmarks.md. */
export function markdownTable(table: Table): string {
  const right = table.alignRight ?? table.columns.map((_, index) => index > 0);
  const escape = (cell: Cell) => text(cell).replace(/\|/g, '\\|');
  return [
    `| ${table.columns.map(escape).join(' | ')} |`,
    `|${right.map((isRight) => (isRight ? '---:' : '---')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** A number with thousands separators and fixed decimals, for tables. */
export function formatNumber(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
