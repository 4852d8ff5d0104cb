// The detail pane of a list screen (queue, worklist, desk): one view at a time, opened and closed with the
// route, closed with Escape unless a dialog is open.
import { replace } from '../dom.js';
import { navigate } from '../router.js';

/**
 * splitDetail({screen, pane, basePath, open: (id) => view, onSelect: (id) => void, close})
 * `open` builds the view ({el, destroy}); `onSelect` marks the selection in the list (id null: none);
 * `close()`, when given, is how Escape returns to the list (keeping its filters), else `basePath`.
 */
export function splitDetail({ screen, pane, basePath, open, onSelect, close }) {
  let selectedId = null;
  let view = null;

  function onKey(e) {
    if (e.key === 'Escape' && selectedId !== null && !document.querySelector('dialog[open]')) {
      if (close) close();
      else navigate(basePath);
    }
  }
  document.addEventListener('keydown', onKey);

  return {
    get selectedId() {
      return selectedId;
    },
    show(id) {
      if (id === selectedId && view) return;
      if (view) view.destroy();
      view = null;
      selectedId = id;
      onSelect(id);
      if (id === null) {
        pane.hidden = true;
        screen.classList.remove('has-detail');
        replace(pane);
        return;
      }
      view = open(id);
      replace(pane, view.el);
      pane.hidden = false;
      screen.classList.add('has-detail');
    },
    destroy() {
      if (view) view.destroy();
      document.removeEventListener('keydown', onKey);
    },
  };
}
