// b2img's Cloudflare Worker: serves a private Backblaze B2 (or any S3) bucket on your domain.
//
// Each GET is signed with a read-only application key (AWS SigV4, via aws4fetch) and sent to
// the bucket; the answer is cleaned up and cached by Cloudflare. Settings (wrangler.toml [vars]
// and `wrangler secret put`):
//
//   B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY   the read-only key (secrets)
//   B2_ENDPOINT        s3.<region>.backblazeb2.com (virtual-host style: <bucket>.<endpoint>),
//                      or a URL such as https://s3.example.com (path style: <url>/<bucket>)
//   BUCKET_NAME        the bucket; "$path": the first path segment; "$host": the first label
//                      of the host name
//   ALLOW_LIST_BUCKET  "true" lets a request without a key list the bucket (default: 404)
//   ALLOWED_HEADERS    optional, comma-separated: more request headers to pass on (signed)
//   B2_REGION          optional; default: the region in B2_ENDPOINT, else us-east-1

import { AwsClient } from "aws4fetch";

// Sent on after signing: Cloudflare may rewrite these on the way, which would break a signature.
const CONDITIONAL = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"];
const RANGE_ATTEMPTS = 3;
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
const GONE = new Set(["NoSuchKey", "NoSuchBucket", "NotFound"]);

export default {
  async fetch(request, env, ctx) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return plain(405, "Method Not Allowed", { Allow: "GET, HEAD" });
    }
    let target;
    try {
      target = locate(new URL(request.url), env);
    } catch (error) {
      return plain(400, "Bad Request");
    }
    if (target === null) {
      return plain(404, "Not Found");
    }
    const cacheable = !request.headers.has("range") && !CONDITIONAL.some((h) => request.headers.has(h));
    const cache = cacheable && typeof caches !== "undefined" ? caches.default : null;
    const cacheKey = new Request(target.cacheUrl, { method: "GET" });
    if (cache) {
      const hit = await cache.match(cacheKey);
      if (hit) {
        return request.method === "HEAD" ? new Response(null, hit) : hit;
      }
    }
    const upstream = await fetchSigned(request, env, target);
    const response = await answer(upstream);
    if (cache && response.status === 200 && ctx && ctx.waitUntil) {
      ctx.waitUntil(cache.put(cacheKey, response.clone()));
    }
    // Cloudflare sends HEAD upstream as GET, so HEAD is signed and sent as GET: drop the body.
    return request.method === "HEAD" ? new Response(null, response) : response;
  },
};

// Where a request goes: { url, cacheUrl }, or null for a request that names no object.
export function locate(url, env) {
  const segments = url.pathname.slice(1).split("/").map((s) => decodeURIComponent(s));
  let bucket = env.BUCKET_NAME;
  if (bucket === "$path") {
    bucket = segments.shift() || "";
  } else if (bucket === "$host") {
    bucket = url.hostname.split(".")[0];
  }
  const key = segments.join("/");
  const listing = key === "";
  if (!bucket || (listing && env.ALLOW_LIST_BUCKET !== "true")) {
    return null;
  }
  // Every segment encoded by RFC 3986, so "+", spaces and CJK sign as they are sent.
  const path = segments.map(encodeSegment).join("/");
  const endpoint = String(env.B2_ENDPOINT || "");
  let base;
  if (/^https?:\/\//.test(endpoint)) {
    const parsed = new URL(endpoint);
    base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}/${encodeSegment(bucket)}`;
  } else {
    base = `https://${bucket}.${endpoint.replace(/\/+$/, "")}`;
  }
  // Query strings reach the bucket only for a listing: ?acl or ?tagging on an object would ask
  // the key for more than the image.
  const search = listing ? url.search : "";
  return { url: `${base}/${path}${search}`, cacheUrl: `${url.origin}/${path}${search}` };
}

export function encodeSegment(segment) {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

function region(env) {
  if (env.B2_REGION) {
    return env.B2_REGION;
  }
  const host = String(env.B2_ENDPOINT || "").replace(/^https?:\/\//, "").split(/[/:]/)[0];
  const match = host.match(/^s3[.-]([a-z0-9-]+)\.(?:backblazeb2|amazonaws)\.com$/i);
  return match ? match[1].toLowerCase() : "us-east-1";
}

async function fetchSigned(request, env, target) {
  const client = new AwsClient({
    accessKeyId: env.B2_APPLICATION_KEY_ID,
    secretAccessKey: env.B2_APPLICATION_KEY,
    service: "s3",
    region: region(env),
    retries: 2,
  });
  const headers = new Headers();
  const allowed = String(env.ALLOWED_HEADERS || "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const name of allowed) {
    if (request.headers.has(name)) {
      headers.set(name, request.headers.get(name));
    }
  }
  const range = request.headers.get("range");
  if (range) {
    headers.set("range", range); // aws4fetch never signs Range
  }
  const signed = await client.sign(target.url, { method: "GET", headers });
  for (const name of CONDITIONAL) {
    if (request.headers.has(name)) {
      signed.headers.set(name, request.headers.get(name));
    }
  }
  if (!range) {
    return fetch(signed);
  }
  // Some upstreams (and caches between) answer a Range request with the whole file now and
  // then: ask again, a few times, for the part that was asked for.
  let response;
  for (let attempt = 1; attempt <= RANGE_ATTEMPTS; attempt++) {
    response = await fetch(new Request(signed));
    if (!response.ok || response.headers.has("content-range") || attempt === RANGE_ATTEMPTS) {
      break;
    }
    await response.body?.cancel();
  }
  return response;
}

async function answer(upstream) {
  const status = upstream.status;
  if (status >= 400 && status !== 416) {
    const text = await upstream.text();
    const code = (text.match(/<Code>([^<]+)<\/Code>/) || [])[1] || "";
    if (status === 404 || GONE.has(code)) {
      return plain(404, "Not Found");
    }
    console.error(`b2img worker: the bucket answered ${status} ${code}`);
    if (status >= 500) {
      const retry = upstream.headers.get("retry-after");
      return plain(status === 503 ? 503 : 502, "Bad Gateway", retry ? { "Retry-After": retry } : {});
    }
    // A refused key (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied) is the Worker's
    // problem, never the visitor's: no object, and none of the bucket's XML.
    return plain(502, "Bad Gateway");
  }
  const headers = new Headers();
  for (const [name, value] of upstream.headers) {
    if (!/^x-(bz|amz|amzn)-/.test(name)) {
      headers.set(name, value);
    }
  }
  headers.set("X-Content-Type-Options", "nosniff");
  if ((headers.get("content-type") || "").toLowerCase().startsWith("image/svg+xml")) {
    headers.set("Content-Security-Policy", SVG_CSP);
  }
  return new Response(status === 304 ? null : upstream.body, { status, headers });
}

function plain(status, text, extra = {}) {
  return new Response(text + "\n", {
    status,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...extra,
    },
  });
}
