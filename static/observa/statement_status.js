// Follow a statement's compilation and reload the page when its status changes. The element
// #statement-follow carries the status URL and the status the page was drawn with.
(function () {
  var follow = document.getElementById("statement-follow");
  if (!follow) { return; }
  var url = follow.dataset.statusUrl;
  var status = follow.dataset.status;
  var progress = document.getElementById("statement-progress");
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status !== status) { window.location.reload(); return; }
        if (data && data.progress && progress) { progress.textContent = data.progress; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
