// The README cannot drift from the code: its TypeScript blocks compile against the real types (the
// AntelopeJS ones through the interface declarations, the plain Node.js ones through the package's
// own exports map), the plain Node.js ones run against Redis, its JSON blocks parse and the
// scheduler config in them passes the real checks, its configuration table lists every option
// with its real default, and its links to files lead somewhere.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, resolveOptions } from '../src/engine/options';
import { runCommand } from './support/run';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Inside the repository, so `ajs-redis-scheduler/engine` resolves to this package by its own name. */
const WORK = join(ROOT, 'output', 'readme-check');

/** A fenced code block of the README. */
interface CodeBlock {
  lang: string;
  code: string;
  /** 1-based line of its first code line in README.md. */
  line: number;
}

function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    blocks.push({ lang: match[1], code: match[2], line: markdown.slice(0, match.index).split('\n').length + 1 });
  }
  return blocks;
}

const blocks = codeBlocks(README);
const tsBlocks = blocks.filter((b) => ['ts', 'typescript'].includes(b.lang));
const fileOf = (block: CodeBlock) => `readme-line-${block.line}`;

describe('README', function () {
  this.timeout(180_000);

  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
  });

  it('has no JavaScript blocks left unchecked', () => {
    assert.deepEqual(blocks.filter((b) => ['js', 'javascript', 'mjs', 'cjs'].includes(b.lang)).map((b) => b.line), []);
  });

  it('TypeScript blocks compile against the real types, and the plain Node.js ones run', async () => {
    assert.ok(tsBlocks.length >= 2, `found ${tsBlocks.length} TypeScript blocks`);
    for (const block of tsBlocks) writeFileSync(join(WORK, `${fileOf(block)}.mts`), block.code);
    const core = join(ROOT, 'node_modules', '@antelopejs', 'core', 'dist', 'interfaces');
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2024'],
        module: 'esnext',
        moduleResolution: 'bundler',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        rootDir: '.',
        outDir: 'out',
        paths: {
          '@ajs/core/*': [join(core, 'core', '*')],
          '@ajs/logging/*': [join(core, 'logging', '*')],
          '@ajs/redis_scheduler/*': [join(ROOT, 'dist', 'src', 'interfaces', 'redis_scheduler', '*')],
        },
      },
      include: ['*.mts'],
    };
    writeFileSync(join(WORK, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = await runCommand(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: WORK, timeoutMs: 150_000 });
    assert.equal(tsc.code, 0, `README code does not compile (file names carry the README line):\n${tsc.output}`);

    const plainNode = tsBlocks.filter((b) => /from 'ajs-redis-scheduler(\/engine)?'/.test(b.code));
    assert.ok(plainNode.length >= 1, 'a plain Node.js example');
    for (const block of plainNode) {
      const run = await runCommand('node', [join('out', `${fileOf(block)}.mjs`)], {
        cwd: WORK,
        env: { REDIS_URL: process.env.TEST_REDIS_URL },
        timeoutMs: 30_000,
      });
      assert.equal(run.code, 0, `the block at README line ${block.line} failed:\n${run.output}`);
      assert.match(run.output, /^true$/m, 'removeTask found the task');
    }
  });

  it('JSON blocks parse, and the scheduler config in them passes the real checks', () => {
    const jsonBlocks = blocks.filter((b) => b.lang === 'json');
    assert.ok(jsonBlocks.length >= 1);
    for (const block of jsonBlocks) {
      const parsed = JSON.parse(block.code) as { modules?: Record<string, { config?: unknown }> };
      const config = parsed.modules?.redis_scheduler?.config;
      if (config !== undefined) assert.doesNotThrow(() => resolveOptions(config), `README line ${block.line}`);
    }
  });

  it('the configuration table lists every option with its real default, and nothing else', () => {
    const rows = [...README.matchAll(/^\| `(\w+)` \| `([^`]+)` \|/gm)].map(([, field, value]) => `${field} = ${value}`);
    const expected = Object.entries(DEFAULT_OPTIONS).map(([field, value]) => `${field} = ${JSON.stringify(value)}`);
    assert.deepEqual(rows.sort(), expected.sort());
  });

  it('every `npm run <script>` it mentions exists', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const mentioned = new Set([...README.matchAll(/npm run ([\w:-]+)/g)].map(([, script]) => script));
    assert.ok(mentioned.size >= 3);
    assert.deepEqual([...mentioned].filter((script) => !(script in scripts)), []);
  });

  it('links to files of the repository lead to existing files', () => {
    const targets = [...README.matchAll(/\]\(((?:docs|examples)\/[^)#]*)/g)].map(([, target]) => target);
    assert.ok(targets.length >= 4);
    assert.deepEqual(targets.filter((target) => !existsSync(join(ROOT, target))), []);
  });
});
