// Hubei's regions for the center's forms, from GET /api/v1/regions (the list the server checks
// region codes against): a picker of prefectures for region rules, and a select of a prefecture
// or one of its counties for the project's region.
//
// Experts' regions are recorded per prefecture, so a region rule names prefectures (their code
// prefix: 4206, or 429004 for a division the province administers directly). People think of
// a county ("the experts from 保康's area"): the picker's filter finds a prefecture by any of
// its counties and names the county beside it.

import { h, replace, field } from './dom.js';
import { t } from './i18n.js';

/** The prefecture whose prefix `code` starts with, or null. */
export function prefectureOf(regions, code) {
  return regions.find((p) => code.startsWith(p.prefix)) || null;
}

/** The county whose code is `code`, or null. */
export function countyOf(regions, code) {
  for (const prefecture of regions) {
    const county = prefecture.counties.find((c) => c.code === code);
    if (county) return county;
  }
  return null;
}

/**
 * '襄阳市（4206）, 宜昌市（4205）' for a list of prefixes ('42' is the province); a county's code
 * (a supervisor's jurisdiction may name one) by the county's name.
 */
export function regionNames(regions, prefixes) {
  return prefixes.map((prefix) => {
    const prefecture = regions.find((p) => p.prefix === prefix || p.code === prefix);
    if (prefecture) return `${prefecture.name}（${prefix}）`;
    const county = countyOf(regions, prefix);
    if (county) return `${county.name}（${prefix}）`;
    return prefix === '42' ? `${t('regions.province')}（42）` : prefix;
  }).join('、');
}

/**
 * A group of prefecture checkboxes with a filter box. `id` prefixes every control's id: the
 * filter is `<id>-filter`, the box for prefix P is `<id>-P`. Returns { node, chosen(),
 * setDisabled(bool), markInvalid(message | null) }.
 */
export function regionPicker(regions, { id, legend, hint }) {
  const chosen = new Set();
  const summary = h('p', { class: 'hint', id: `${id}-summary`, 'aria-live': 'polite' });
  const error = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  const update = () => {
    replace(summary, chosen.size
      ? t('regions.chosen', { names: regionNames(regions, [...chosen].sort()) })
      : t('regions.none_chosen'));
  };
  const items = regions.map((prefecture) => {
    const box = h('input', { type: 'checkbox', id: `${id}-${prefecture.prefix}`, value: prefecture.prefix });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(prefecture.prefix); else chosen.delete(prefecture.prefix);
      error.hidden = true;
      update();
    });
    const counties = h('span', { class: 'hint region-counties' });
    const item = h('li', {}, h('span', { class: 'choice' }, box, ' ',
      h('label', { for: box.id }, prefecture.name, ' ', h('code', {}, prefecture.prefix))), counties);
    return { prefecture, box, item, counties };
  });
  const filter = h('input', { id: `${id}-filter`, type: 'search', autocomplete: 'off' });
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    for (const { prefecture, item, counties } of items) {
      const own = !needle || prefecture.name.toLowerCase().includes(needle) || prefecture.code.startsWith(needle)
        || prefecture.prefix.startsWith(needle);
      const matching = needle
        ? prefecture.counties.filter((c) => c.name.toLowerCase().includes(needle) || c.code.startsWith(needle))
        : [];
      item.hidden = !own && !matching.length;
      replace(counties, matching.length && !own ? t('regions.includes', { counties: matching.map((c) => c.name).join('、') }) : '');
    }
  });
  update();
  const group = h('fieldset', { class: 'region-picker', id },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint' }, hint) : null,
    field(t('regions.filter'), filter),
    h('ul', { class: 'region-list' }, items.map((i) => i.item)),
    summary, error);
  return {
    node: group,
    chosen: () => [...chosen].sort(),
    /** Ticks the prefectures whose prefixes are in `prefixes` (e.g. a stored choice). */
    choose(prefixes) {
      for (const { prefecture, box } of items) {
        box.checked = prefixes.includes(prefecture.prefix);
        if (box.checked) chosen.add(prefecture.prefix); else chosen.delete(prefecture.prefix);
      }
      update();
    },
    setDisabled(disabled) {
      for (const { box } of items) box.disabled = disabled;
      filter.disabled = disabled;
    },
    /** Shows `message` under the picker (announced), or clears it; returns whether it is clear. */
    markInvalid(message) {
      error.hidden = !message;
      replace(error, message || '');
      return !message;
    },
  };
}

/**
 * A select of one region: empty (`emptyLabel`), a prefecture as a whole, or one of its counties,
 * grouped by prefecture.
 */
export function regionSelect(regions, { id, emptyLabel }) {
  return h('select', { id },
    h('option', { value: '' }, emptyLabel),
    regions.map((prefecture) => h('optgroup', { label: prefecture.name },
      h('option', { value: prefecture.code }, t('regions.whole', { name: prefecture.name, code: prefecture.code })),
      prefecture.counties
        .filter((c) => c.code !== prefecture.code)
        .map((c) => h('option', { value: c.code }, `${c.name} ${c.code}`)))));
}
