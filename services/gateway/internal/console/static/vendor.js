// The vendored libraries (static/vendor, `make console`) are classic scripts
// that set a global; each is loaded once, by the first page that needs it.
const loading = {};

/** Loads /console/vendor/<file> (and its stylesheet css, if any) and resolves to window[global]. */
export function loadVendor(file, global, css = '') {
  if (window[global]) return Promise.resolve(window[global]);
  loading[file] ??= new Promise((resolve, reject) => {
    if (css) {
      const l = document.createElement('link');
      l.rel = 'stylesheet';
      l.href = `/console/vendor/${css}`;
      document.head.append(l);
    }
    const s = document.createElement('script');
    s.src = `/console/vendor/${file}`;
    s.onload = () => resolve(window[global]);
    s.onerror = reject;
    document.head.append(s);
  });
  return loading[file];
}
