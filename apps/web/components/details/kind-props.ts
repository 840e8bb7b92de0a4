// What every per-kind details component receives: the lab, the state shown, the selected id, action hooks.
// Kinds that have no actions ignore readOnly and onDone.
import type { LabState } from '../../lib/types';

export interface KindProps {
  lab: string;
  state: LabState;
  id: string;
  readOnly: boolean;
  onDone: () => void;
}
