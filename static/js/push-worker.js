// The service worker of the quick order link's notifications: shows each push, opens the link on a tap.
self.addEventListener("push", function (event) {
  let message = { title: "", body: "", url: "/" };
  try {
    message = Object.assign(message, event.data ? event.data.json() : {});
  } catch (error) {
    message.body = event.data ? event.data.text() : "";
  }
  event.waitUntil(self.registration.showNotification(message.title, { body: message.body, data: { url: message.url } }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
