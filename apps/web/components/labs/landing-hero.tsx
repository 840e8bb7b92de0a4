'use client';
// The first screen: what the lab is for (the seed story in three lines), a live thumbnail of `seed`,
// and where to start: explain VM1 vs VM2, open the lab, the API docs, a new lab from a template.
import Link from 'next/link';
import { useLab } from '../../lib/use-lab';
import { ActionForm } from '../actions/action-form';
import { SeedThumbnail } from './seed-thumbnail';

export function LandingHero({ seedExists, onCreated }: { seedExists: boolean; onCreated: () => void }) {
  return (
    <section className="hero" aria-label="What this lab shows">
      <div className="hero-text">
        <h1>Why does one VM emulate wbinvd and its twin not?</h1>
        <ol className="story">
          <li>
            VM1 boots with device <b>A</b> (its IOMMU can force snooping) and <b>B</b> (its IOMMU cannot); VM2
            boots with A's twin <b>A2</b>.
          </li>
          <li>
            Under the 2021 shared-table proposal A and B share one I/O page table, which then cannot set the
            snoop bit, so KVM must emulate <span className="badge amber">wbinvd ON</span> for VM1.
          </li>
          <li>
            B is hot-unplugged, yet VM1 keeps emulating wbinvd for good while VM2 never does: history, not
            configuration, decides.
          </li>
        </ol>
        <p className="start">
          {seedExists ? (
            <>
              <Link className="button primary" href="/labs/seed/explain?a=VM1&b=VM2">
                Explain VM1 vs VM2
              </Link>
              <Link className="button" href="/labs/seed">
                Open the seed lab
              </Link>
            </>
          ) : null}
          <a className="button" href="/docs">
            API docs
          </a>
          <a className="button" href="#new-lab">
            New lab from a template
          </a>
        </p>
        {seedExists ? null : (
          <ActionForm
            title="Create the seed lab"
            fields={[]}
            build={() => (c) => c.createLab({ name: 'seed', policy: 'shared', template: 'seed-story' })}
            onDone={onCreated}
          />
        )}
      </div>
      {seedExists ? <LiveSeed /> : null}
    </section>
  );
}

function LiveSeed() {
  const live = useLab('seed');
  return (
    <Link href="/labs/seed" className="hero-thumb" aria-label="Open the seed lab (live thumbnail)">
      {live.state ? <SeedThumbnail state={live.state} /> : <p className="loading">Loading the seed lab…</p>}
    </Link>
  );
}
