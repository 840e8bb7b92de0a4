'use client';
// True below the narrow breakpoint (phones, split windows), where the topology is shown as a list.
// False until mounted, so server and client markup agree; the CSS breakpoint is the same number.
import { useEffect, useState } from 'react';

export const NARROW_PX = 700;

export function useNarrow(): boolean {
  const [narrow, setNarrow] = useState(false);
  useEffect(() => {
    const query = matchMedia(`(max-width: ${NARROW_PX - 0.02}px)`);
    const update = () => setNarrow(query.matches);
    update();
    query.addEventListener('change', update);
    return () => query.removeEventListener('change', update);
  }, []);
  return narrow;
}
