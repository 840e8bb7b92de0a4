// A list of effects as text, the ones that change a VM's coherency coloured by their meaning
// (amber: wbinvd on, red: hazard on or snoop downgraded), the rest plain.
import { effectText } from '../../lib/format';
import type { Effect } from '../../lib/types';

const TONE: Record<string, string> = {
  'vm.wbinvd_on': 'fx-amber',
  'vm.hazard_on': 'fx-red',
  'hwpt.snoop_downgraded': 'fx-red',
  'vm.wbinvd_off': 'fx-ok',
  'vm.hazard_off': 'fx-ok',
};

export function Effects({ effects }: { effects: (Effect | string)[] }) {
  return (
    <>
      {effects.map((e, i) => {
        const type = typeof e === 'string' ? e : e.type;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: effects are an ordered list that never reorders.
          <span key={i} className={TONE[type]}>
            {i > 0 ? ' · ' : ''}
            {effectText(e)}
          </span>
        );
      })}
    </>
  );
}
