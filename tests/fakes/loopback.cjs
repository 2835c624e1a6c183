// Preloaded into a Node server (NODE_OPTIONS=--require ...) so that it listens on
// 127.0.0.1 only: a server that takes just a port would listen on every interface.
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === "number" || typeof args[0] === "string") && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
