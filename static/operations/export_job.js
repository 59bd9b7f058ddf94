// Follow a large export being written: update its progress bar, and reload the page (which
// then shows the link to the file, or the failure) when the job's status changes. The
// element #export-job carries the status URL and the status the page was drawn with.
(function () {
  var job = document.getElementById("export-job");
  if (!job) { return; }
  var url = job.dataset.statusUrl;
  var status = job.dataset.status;
  var bar = document.getElementById("export-job-progress");
  var done = document.getElementById("export-job-done");
  var total = document.getElementById("export-job-total");
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status !== status) { window.location.reload(); return; }
        if (data && bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
        if (data && done) { done.textContent = data.rows_done; }
        if (data && total) { total.textContent = data.rows_total; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
