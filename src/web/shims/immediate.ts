/**
 * setImmediate for the browser bundle (injected by scripts/build-web.mjs):
 * the pqrpc/1 session yields to the event loop with it between write
 * rounds. A MessageChannel message runs as a task without setTimeout's
 * 4 ms clamp on nested timers (HTML §8.6).
 */
type Task = () => void;

const tasks = new Map<number, Task>();
let nextId = 1;
const channel = new MessageChannel();
channel.port1.onmessage = (event: MessageEvent<number>) => {
  const task = tasks.get(event.data);
  tasks.delete(event.data);
  task?.();
};
// Node only (the shim's own test): an idle port must not keep the process alive. Browsers have no unref.
(channel.port1 as { unref?: () => void }).unref?.();

export function setImmediate(task: Task): number {
  const id = nextId++;
  tasks.set(id, task);
  channel.port2.postMessage(id);
  return id;
}

export function clearImmediate(id: number | undefined): void {
  if (id !== undefined) tasks.delete(id);
}
