// The shape of src/: no import circles (type-only imports counted too), and
// the leaves stay leaves: src/core imports nothing of tsrun's outside it;
// src/cgroups knows nothing of the runtime or the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/core/package-root.js';

const src = path.join(packageRoot, 'src');

/** Every .ts file under src, relative to it, with the src files it imports (static import and export-from, type-only too). */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gms)) {
      targets.push(path.normalize(path.join(path.dirname(file), m[1])).replace(/\.js$/, '.ts'));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** One import circle per strongly connected part of the graph (Tarjan), each as a list of files. */
export function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the import graph walker sees a circle and a clean graph for what they are', () => {
  assert.deepEqual(circles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]])), [['a.ts', 'b.ts', 'c.ts']]);
  assert.deepEqual(circles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'import-graph-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "export {\n  x,\n} from './a.js';\nexport type B = 1;\n");
    assert.deepEqual(circles(importGraph(dir)), [['a.ts', 'b.ts']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('src/ has no import circle', () => {
  const graph = importGraph(src);
  assert.ok(graph.size > 50, `only ${graph.size} files found under ${src}`);
  assert.deepEqual(circles(graph), []);
});

test('src/core and src/cgroups are leaves: core imports only core, cgroups nothing of runtime or cli', () => {
  const wrong: string[] = [];
  for (const [file, targets] of importGraph(src)) {
    for (const t of targets) {
      if (file.startsWith('core/') && !t.startsWith('core/')) wrong.push(`${file} -> ${t}`);
      if (file.startsWith('cgroups/') && (t.startsWith('runtime/') || t.startsWith('cli/'))) wrong.push(`${file} -> ${t}`);
    }
  }
  assert.deepEqual(wrong, []);
});
