/**
 * A forgiving HTML tokenizer for the drift perturbations: enough structure to find sibling
 * elements and text runs without a DOM (serialising through a DOM would re-encode the page).
 *
 * @module
 */

/** A node of the lenient tree. */
export interface HtmlNode {
  /** Element, text (or comment/doctype kept verbatim). */
  kind: "element" | "text";
  /** Lowercase tag for elements. */
  tag: string;
  /** Opening tag (elements) or the text itself. */
  open: string;
  /** Closing tag ("" for void or unclosed elements). */
  close: string;
  /** Children (elements only). */
  children: HtmlNode[];
}

const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);
const TOKEN = /<!--[\s\S]*?-->|<![^>]*>|<\/?([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>|[^<]+|</g;

/** Parses `html` into a root element node (tag `#root`). Never throws. */
export function parseHtml(html: string): HtmlNode {
  const root: HtmlNode = { kind: "element", tag: "#root", open: "", close: "", children: [] };
  const stack: HtmlNode[] = [root];
  for (const m of html.matchAll(TOKEN)) {
    const raw = m[0];
    const top = stack[stack.length - 1] as HtmlNode;
    const tag = m[1]?.toLowerCase();
    if (tag === undefined || raw.startsWith("<!")) {
      top.children.push({ kind: "text", tag: "", open: raw, close: "", children: [] });
    } else if (raw.startsWith("</")) {
      const at = stack.findLastIndex((n) => n.tag === tag);
      if (at <= 0) {
        top.children.push({ kind: "text", tag: "", open: raw, close: "", children: [] });
        continue;
      }
      (stack[at] as HtmlNode).close = raw;
      stack.length = at;
    } else {
      const node: HtmlNode = { kind: "element", tag, open: raw, close: "", children: [] };
      top.children.push(node);
      if (!VOID.has(tag) && !raw.endsWith("/>")) stack.push(node);
    }
  }
  return root;
}

/** Writes a tree back (the exact input when nothing was changed). */
export function serializeHtml(node: HtmlNode): string {
  if (node.kind === "text") return node.open;
  return node.open + node.children.map(serializeHtml).join("") + node.close;
}

/** Every element node, depth first. */
export function elements(node: HtmlNode): HtmlNode[] {
  const out: HtmlNode[] = [];
  const walk = (n: HtmlNode): void => {
    if (n.kind !== "element") return;
    out.push(n);
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}

/** Applies `fn` to the text between tags (not inside tags or comments). */
export function mapTextRuns(html: string, fn: (text: string) => string): string {
  return html.split(/(<!--[\s\S]*?-->|<[^>]*>)/).map((part, i) => (i % 2 === 0 ? fn(part) : part))
    .join("");
}
