// Turn on notifications on a quick order link page: the Push API subscribes this browser with the
// server's VAPID key, and the subscription goes to the server, which keeps it for the customer.
(function () {
  "use strict";

  function base64UrlToBytes(value) {
    const padded = (value + "===".slice((value.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = window.atob(padded);
    return Uint8Array.from(raw, function (char) { return char.charCodeAt(0); });
  }

  function start(box) {
    const on = box.querySelector("[data-push-on]");
    const off = box.querySelector("[data-push-off]");
    const status = box.querySelector("[data-push-status]");
    const csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;

    function say(text) {
      status.textContent = text;
      status.hidden = !text;
    }

    function show(subscribed) {
      on.hidden = subscribed;
      off.hidden = !subscribed;
    }

    function post(body) {
      return fetch(box.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
        body: JSON.stringify(body),
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer.error || status.dataset.failed);
          return answer;
        });
      });
    }

    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      on.disabled = true;
      say(status.dataset.unsupported);
      return;
    }
    const registration = navigator.serviceWorker.register(box.dataset.worker);
    registration
      .then(function (worker) { return worker.pushManager.getSubscription(); })
      .then(function (subscription) { show(Boolean(subscription)); })
      .catch(function () { on.disabled = true; say(status.dataset.unsupported); });

    on.addEventListener("click", function () {
      on.disabled = true;
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") throw new Error(status.dataset.denied);
          return registration;
        })
        .then(function (worker) {
          return worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(box.dataset.key) });
        })
        .then(function (subscription) { return post({ subscription: subscription.toJSON() }); })
        .then(function (answer) { show(true); say(answer.message); })
        .catch(function (error) { say(error && error.message ? error.message : status.dataset.failed); })
        .finally(function () { on.disabled = false; });
    });

    off.addEventListener("click", function () {
      registration
        .then(function (worker) { return worker.pushManager.getSubscription(); })
        .then(function (subscription) {
          if (!subscription) return { message: "" };
          return subscription.unsubscribe().then(function () {
            return post({ action: "unsubscribe", endpoint: subscription.endpoint });
          });
        })
        .then(function (answer) { show(false); say(answer.message); })
        .catch(function (error) { say(error && error.message ? error.message : status.dataset.failed); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-push]").forEach(start);
  });
})();
