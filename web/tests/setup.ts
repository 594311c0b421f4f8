import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';

// CI shares two cores with the C++ test suite: a screen that takes a second to settle there is slow,
// not wrong. The default 1 s wait made such runs fail.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});
