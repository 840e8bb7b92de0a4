// A wait with a bound, for shutdown: a worker that does not answer in time is terminated, not waited for.

/** What `promise` resolves to, or undefined once `ms` have passed first (a rejection passes through). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
