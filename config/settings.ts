import { ConfigError } from './config-error.js';
import type { KeyRule } from './key-rules.js';
import type { Setting, SettingStore } from './schema-nodes.js';

/**
 * The values loadConfig collected from the environment, the file and the flags, by dotted path; a
 * later source replaces an earlier one. Each value is checked by its key's rule as it arrives, so the
 * first bad value (in that order, and in file order within the file) is the one reported.
 */
export class Settings implements SettingStore {
  private readonly values = new Map<string, Setting>();
  private readonly counts = new Map<string, number>();

  /** Records a value for a key after checking it with the key's rule. */
  set<T>(path: string, rule: KeyRule<T>, setting: Setting): void {
    const checked = rule(setting.raw);
    if (!checked.ok) this.refuse(path, setting, checked.expected);
    this.values.set(path, setting);
  }

  /** Records how many items a list key was given (their keys are set as `path[i].key`). */
  setItemCount(path: string, count: number): void {
    this.counts.set(path, count);
  }

  setting(path: string): Setting | undefined {
    return this.values.get(path);
  }

  itemCount(path: string): number | undefined {
    return this.counts.get(path);
  }

  refuse(path: string, setting: Setting, expected: string): never {
    if (setting.file === null) {
      throw new ConfigError(
        'CONFIG_FLAG_INVALID',
        `${path} must be ${expected} (${setting.source})`,
        path,
        null,
        setting.line,
      );
    }
    throw new ConfigError('CONFIG_INVALID', `${path} must be ${expected}`, path, setting.file, setting.line);
  }

  missing(path: string): never {
    throw new ConfigError('CONFIG_INVALID', `${path} is required`, path, null, null);
  }
}
