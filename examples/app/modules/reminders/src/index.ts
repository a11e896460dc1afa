// An AntelopeJS module that sends reminders later: it registers a handler, lets this node run due
// tasks, and schedules one reminder when it starts.
import { Logging } from '@ajs/logging/beta';
import { addTask, disableListener, enableListener, setHandler, type TaskContext } from '@ajs/redis_scheduler/beta';

/** `modules.reminders.config` in antelope.json. */
interface RemindersConfig {
  /** How long after start the reminder is due. Default `2000`. */
  delayMs: number;
}

/** What a reminder task carries in its taskInfo. */
interface Reminder {
  userId: number;
  text: string;
}

const SEND_REMINDER = 'reminders.send';
const log = new Logging.Channel('reminders');
let config: RemindersConfig = { delayMs: 2_000 };

async function sendReminder(taskInfo: string, context: TaskContext): Promise<void> {
  const reminder = JSON.parse(taskInfo) as Reminder;
  // Deliver it here (email, push...). Throwing makes the scheduler retry it later.
  log.Info(`reminder for user ${reminder.userId}: ${reminder.text} (attempt ${context.attempt})`);
}

async function scheduleFirstReminder(): Promise<void> {
  await enableListener();
  const reminder: Reminder = { userId: 42, text: 'stand up and stretch' };
  await addTask(SEND_REMINDER, Date.now() + config.delayMs, JSON.stringify(reminder));
  log.Info(`scheduled a reminder for user ${reminder.userId} in ${config.delayMs} ms`);
}

export function construct(moduleConfig?: Partial<RemindersConfig>): void {
  config = { ...config, ...moduleConfig };
}

export function start(): void {
  setHandler(SEND_REMINDER, sendReminder);
  scheduleFirstReminder().catch((err: unknown) => log.Error('could not schedule the reminder:', err));
}

export function stop(): void {
  disableListener().catch((err: unknown) => log.Error('could not stop listening:', err));
}

export function destroy(): void {}
