/**
 * Reads a framework's error markup out of an HTML answer with a real parser (htmlparser2 + domutils): a
 * re-rendered signup form answers 200 like a success, and only its field errors say it refused the signup.
 * Which markup means "refused" comes from the knowledge entries (signupErrorMarkup), never from here.
 */
import type { Document, Element } from 'domhandler';
import { findAll, getAttributeValue, removeElement, textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';
import { COMMON_SIGNUP_ERROR_MARKUP } from '../knowledge/html-forms.js';
import { STACKS } from '../knowledge/index.js';
import type { SignupErrorMarkup } from '../knowledge/types.js';

export interface PageErrors {
  /** The messages, in page order, whitespace collapsed, each once. */
  messages: string[];
  /** Which markup matched them ("ul.errorlist li (Django)"). */
  matchedBy: string[];
}

/** Every stack's markup plus the common one, labelled with the stack's title for the report. */
export function knownErrorMarkup(): { label: string; markup: SignupErrorMarkup }[] {
  return [
    ...STACKS.flatMap((s) => (s.signupErrorMarkup ? [{ label: s.title, markup: s.signupErrorMarkup }] : [])),
    { label: 'common form markup', markup: COMMON_SIGNUP_ERROR_MARKUP },
  ];
}

interface SimpleSelector {
  tag?: string;
  id?: string;
  classes: string[];
  attr?: { name: string; value?: string };
}

/** `tag.class#id[attr=value]`, optionally followed by one descendant part (`ul.errorlist li`). */
export function parseSelector(text: string): SimpleSelector[] {
  return text
    .trim()
    .split(/\s+/)
    .map((part) => {
      const m = /^([a-z][a-z0-9-]*)?((?:[.#][\w-]+)*)(?:\[([\w-]+)(?:=["']?([^\]"']*)["']?)?\])?$/i.exec(part);
      if (!m) throw new Error(`unsupported selector "${text}"`);
      const sel: SimpleSelector = { classes: [] };
      if (m[1]) sel.tag = m[1].toLowerCase();
      for (const t of (m[2] ?? '').match(/[.#][\w-]+/g) ?? []) {
        if (t.startsWith('#')) sel.id = t.slice(1);
        else sel.classes.push(t.slice(1));
      }
      if (m[3]) sel.attr = { name: m[3].toLowerCase(), ...(m[4] !== undefined ? { value: m[4] } : {}) };
      return sel;
    });
}

function matches(el: Element, sel: SimpleSelector): boolean {
  if (sel.tag && el.name.toLowerCase() !== sel.tag) return false;
  if (sel.id && getAttributeValue(el, 'id') !== sel.id) return false;
  if (sel.classes.length) {
    const classes = new Set((getAttributeValue(el, 'class') ?? '').split(/\s+/));
    if (!sel.classes.every((c) => classes.has(c))) return false;
  }
  if (sel.attr) {
    const v = getAttributeValue(el, sel.attr.name);
    if (v === undefined || (sel.attr.value !== undefined && v !== sel.attr.value)) return false;
  }
  return true;
}

function hasAncestor(el: Element, sel: SimpleSelector): boolean {
  for (let p = el.parent; p; p = p.parent) if (p.type === 'tag' && matches(p as Element, sel)) return true;
  return false;
}

function select(root: Document, selector: string): Element[] {
  const parts = parseSelector(selector);
  const last = parts.at(-1)!;
  const ancestors = parts.slice(0, -1);
  return findAll((el) => matches(el, last) && ancestors.every((a) => hasAncestor(el, a)), root.children);
}

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The page as a tree without scripts, styles and templates: they carry no visible message. */
function parseVisible(html: string): Document {
  const doc = parseDocument(html);
  for (const el of findAll((e) => ['script', 'style', 'template', 'noscript'].includes(e.name), doc.children)) removeElement(el);
  return doc;
}

/** The refusal messages an HTML page shows; none for a page without error markup. */
export function readPageErrors(html: string, markups = knownErrorMarkup()): PageErrors {
  const doc = parseVisible(html);
  const seen: { el: Element; label: string }[] = [];
  for (const { label, markup } of markups) {
    for (const selector of markup.selectors) {
      for (const el of select(doc, selector)) {
        if (!seen.some((s) => s.el === el)) seen.push({ el, label: `${selector} (${label})` });
      }
    }
  }
  // Keep the innermost matches: `.invalid-feedback` and `.invalid-feedback li` name the same message.
  const innermost = seen.filter((s) => !seen.some((o) => o !== s && isInside(o.el, s.el)));
  const messages: string[] = [];
  const matchedBy = new Set<string>();
  for (const s of innermost) {
    const text = clean(textContent(s.el));
    if (!text || messages.includes(text)) continue;
    messages.push(text);
    matchedBy.add(s.label);
  }
  const pageText = clean(textContent(doc));
  for (const { label, markup } of markups) {
    for (const re of markup.texts ?? []) {
      const m = re.exec(pageText);
      if (!m || messages.some((t) => re.test(t))) continue;
      messages.push(sentenceAround(pageText, m.index, m[0].length));
      matchedBy.add(`text ${re} (${label})`);
    }
  }
  return { messages, matchedBy: [...matchedBy] };
}

/** The text a reader sees on the page (no scripts or styles), whitespace collapsed. */
export function visibleText(html: string): string {
  return clean(textContent(parseVisible(html)));
}

function isInside(el: Element, container: Element): boolean {
  for (let p = el.parent; p; p = p.parent) if (p === container) return true;
  return false;
}

/** The sentence of `text` holding the match (a page's loose text has no markup left to cut along). */
function sentenceAround(text: string, index: number, length: number): string {
  const start = Math.max(text.lastIndexOf('.', index) + 1, index - 120);
  const endDot = text.indexOf('.', index + length);
  const end = endDot === -1 ? Math.min(text.length, index + length + 120) : endDot + 1;
  return clean(text.slice(start, end));
}
