// Serves b2img's Worker under Miniflare on 127.0.0.1 for the tests.
//
//   node serve.mjs WORKER_JS AWS4FETCH_MJS BINDINGS_JSON
//
// Prints "ready <url>" once it listens, and stops when its standard input closes.
import { readFile } from "node:fs/promises";
import path from "node:path";

const [workerPath, aws4fetchPath, bindingsJson] = process.argv.slice(2);
const { Miniflare } = await import(process.env.MINIFLARE_MODULE || "miniflare");
const root = path.dirname(workerPath);
const mf = new Miniflare({
  modulesRoot: root,
  modules: [
    { type: "ESModule", path: workerPath, contents: await readFile(workerPath, "utf8") },
    {
      type: "ESModule",
      path: path.join(root, "aws4fetch"),
      contents: await readFile(aws4fetchPath, "utf8"),
    },
  ],
  compatibilityDate: "2026-04-01",
  bindings: JSON.parse(bindingsJson),
  host: "127.0.0.1",
  port: 0,
});
const url = await mf.ready;
process.stdout.write(`ready ${url}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await mf.dispose();
  process.exit(0);
});
