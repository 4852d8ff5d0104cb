// The one search box in the header: a phone in any format, an ID number, a name, a number, an indicator.
// It opens the 检索 screen with the text in the URL (#/search?q=…), so a search can be shared and gone back to.

import { h } from '../dom.js';
import { current, navigate } from '../router.js';

export function searchBox() {
  const input = h('input', {
    type: 'search',
    name: 'q',
    class: 'header-search-input',
    placeholder: '检索：手机号、身份证号、姓名、编号、涉诈指标',
    'aria-label': '检索',
    maxlength: 100,
    autocomplete: 'off',
  });
  const form = h(
    'form',
    {
      class: 'header-search',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const q = input.value.trim();
        if (q) navigate('/search', { q });
      },
    },
    input,
  );
  function sync() {
    const r = current();
    if (r.screen === 'search' && r.query.q !== undefined && document.activeElement !== input) input.value = r.query.q;
  }
  window.addEventListener('hashchange', sync);
  sync();
  return form;
}
