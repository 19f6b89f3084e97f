// A worker written as Camunda's docs show it, pointed at BOMS: node worker.mjs BASE_URL TOKEN COUNT
// Completes tasks with variables, fails the one with business key "fail" (no retries left) and throws
// CARD_DECLINED for "decline"; stops after COUNT tasks.
import { Client, Variables } from "camunda-external-task-client-js";

const [baseUrl, token, count] = process.argv.slice(2);
const bearer = (config) => ({ ...config, headers: { ...config.headers, Authorization: `Bearer ${token}` } });
const client = new Client({ baseUrl: `${baseUrl}/engine-rest`, workerId: "js-worker", maxTasks: 5,
                            asyncResponseTimeout: 500, interval: 50, interceptors: bearer });
let handled = 0;
const done = () => { handled += 1; if (handled >= Number(count)) { client.stop(); process.exit(0); } };

client.on("poll:error", (e) => { console.error("poll error", e.message); process.exit(2); });
client.subscribe("charge-card", async ({ task, taskService }) => {
  if (task.businessKey === "decline") {
    const vars = new Variables().set("reason", "expired");
    await taskService.handleBpmnError(task, "CARD_DECLINED", "card expired", vars);
  } else if (task.businessKey === "fail") {
    await taskService.handleFailure(task, { errorMessage: "gateway down", errorDetails: "trace", retries: 0,
                                            retryTimeout: 0 });
  } else {
    const vars = new Variables().set("receipt", `R-${task.variables.get("amountCents")}`)
      .set("items", { lines: [1, 2] });
    await taskService.complete(task, vars);
  }
  done();
});
setTimeout(() => { console.error("timed out"); process.exit(3); }, 60_000);
