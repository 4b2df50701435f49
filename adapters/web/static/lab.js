// Progressive enhancement: "Another batch" replaces the list in place (the link works without this).
document.addEventListener("click", async (event) => {
  const link = event.target.closest("#another-batch");
  if (!link) return;
  event.preventDefault();
  const response = await fetch(link.href, { credentials: "same-origin" });
  if (!response.ok) { window.location = link.href; return; }
  const next = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("papers");
  document.getElementById("papers").replaceWith(next);
  history.replaceState(null, "", link.href);
});
