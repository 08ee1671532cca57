// The "uv poller" project (jest.config.js): this file's sockets use one uv_poll_t each.
// jest loads the addon afresh for every file, so the choice holds for this file alone.
// (Setting NODE_WSK_POLLER here would not do: jest hands a file a copy of process.env.)
import { native } from '../lib/transport/native';

if (native.usePoller('uv') !== 0) throw new Error('usePoller: the file already polled with io_uring');
