/**
 * Reads signup pages with a real HTML parser (htmlparser2 + domutils): forms with their inputs, links with
 * their text, meta tags. Pure: HTML in, data out.
 */
import type { Element } from 'domhandler';
import { findAll, getAttributeValue, textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';

export interface FormInput {
  tag: 'input' | 'select' | 'textarea' | 'button';
  name: string;
  /** Lower-cased; 'text' when absent. */
  type: string;
  value: string;
  autocomplete: string;
  required: boolean;
  /** The visible label or placeholder, for the explanation and for naming a field's role. */
  label: string;
  /** For a select: the first option with a non-empty value. */
  firstOption?: string;
}

export interface HtmlForm {
  /** As written in the page ('' = the page itself). */
  action: string;
  method: string;
  id: string;
  inputs: FormInput[];
}

export interface HtmlLink {
  href: string;
  text: string;
}

function elements(html: string, names: string[]): Element[] {
  const doc = parseDocument(html, { lowerCaseTags: true, lowerCaseAttributeNames: true });
  return findAll((el) => names.includes(el.name), doc.children);
}

export function parseForms(html: string): HtmlForm[] {
  const doc = parseDocument(html, { lowerCaseTags: true, lowerCaseAttributeNames: true });
  const labels = new Map<string, string>();
  for (const label of findAll((el) => el.name === 'label', doc.children)) {
    const target = getAttributeValue(label, 'for');
    if (target) labels.set(target, textContent(label).trim());
  }
  return findAll((el) => el.name === 'form', doc.children).map((form) => ({
    action: getAttributeValue(form, 'action') ?? '',
    method: (getAttributeValue(form, 'method') ?? 'get').toUpperCase(),
    id: getAttributeValue(form, 'id') ?? '',
    inputs: findAll((el) => ['input', 'select', 'textarea', 'button'].includes(el.name), form.children)
      .filter((el) => getAttributeValue(el, 'name'))
      .map((el) => readInput(el, labels)),
  }));
}

function readInput(el: Element, labels: Map<string, string>): FormInput {
  const attr = (name: string) => getAttributeValue(el, name) ?? '';
  const tag = el.name as FormInput['tag'];
  const type = (attr('type') || (tag === 'button' ? 'submit' : tag === 'input' ? 'text' : tag)).toLowerCase();
  const firstOption = tag === 'select' ? findAll((o) => o.name === 'option', el.children).map((o) => getAttributeValue(o, 'value') ?? textContent(o).trim()).find((v) => v !== '') : undefined;
  return {
    tag,
    name: attr('name'),
    type,
    value: tag === 'textarea' ? textContent(el) : attr('value'),
    autocomplete: attr('autocomplete').toLowerCase(),
    required: el.attribs.required !== undefined,
    label: (labels.get(attr('id')) ?? attr('placeholder') ?? attr('aria-label')) || attr('aria-label'),
    ...(firstOption !== undefined ? { firstOption } : {}),
  };
}

export function parseLinks(html: string): HtmlLink[] {
  return elements(html, ['a']).flatMap((a) => {
    const href = getAttributeValue(a, 'href');
    return href ? [{ href, text: textContent(a).replace(/\s+/g, ' ').trim() }] : [];
  });
}

/** The content of <meta name="NAME" content="...">. */
export function metaContent(html: string, name: string): string | undefined {
  const meta = elements(html, ['meta']).find((m) => (getAttributeValue(m, 'name') ?? '').toLowerCase() === name.toLowerCase());
  return meta ? getAttributeValue(meta, 'content') : undefined;
}
