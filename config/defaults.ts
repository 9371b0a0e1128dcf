import type { Config } from './config.js';
import { configSchema } from './schema.js';
import type { SettingStore } from './schema-nodes.js';

const nothingSet: SettingStore = {
  setting: () => undefined,
  itemCount: () => undefined,
  refuse: () => {
    throw new Error('no setting to refuse');
  },
  missing: () => {
    throw new Error('no list item to miss a key');
  },
};

/** The built-in defaults, as the schema states them (listen 127.0.0.1:6432, journal ./pgtrail-journal, strict). */
export const defaultConfig: Config = configSchema.resolve('', nothingSet);
