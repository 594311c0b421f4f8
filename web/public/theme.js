// Applies the stored theme before first paint to avoid a flash. A file of its own, not inline in
// index.html: the Content-Security-Policy allows no inline script.
(function () {
  try {
    var t = localStorage.getItem('rm-theme') || 'system';
    var dark = t === 'dark' || (t === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
    if (dark) document.documentElement.classList.add('dark');
  } catch {
    // Storage may be blocked: the light theme stays.
  }
})();
