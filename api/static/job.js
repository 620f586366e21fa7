// The job page: asks /api/v1/jobs/{id} every two seconds until the job is done or failed.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var url = box.getAttribute("data-url");
  function show(job) {
    document.getElementById("job-state").textContent = job.state_label;
    document.getElementById("job-note").textContent = job.note;
    var bar = document.getElementById("job-progress");
    bar.value = job.progress;
    document.getElementById("job-percent").textContent = Math.round(job.progress * 100) + "%";
    if (job.state === "done" && job.file_url) {
      var link = document.getElementById("job-download");
      link.href = job.file_url;
      link.textContent = "下载 " + job.result_name;
      link.hidden = false;
    }
    if (job.state === "failed") {
      var error = document.getElementById("job-error");
      error.textContent = "生成失败：" + job.error;
      error.hidden = false;
    }
    return job.state === "done" || job.state === "failed";
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (job && show(job)) return;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
