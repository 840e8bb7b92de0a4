PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_shadow_snapshots` (
	`lab_id` integer NOT NULL,
	`policy` text NOT NULL,
	`kernel` text DEFAULT '6.12' NOT NULL,
	`seq` integer NOT NULL,
	`refused` integer NOT NULL,
	`state` blob NOT NULL,
	PRIMARY KEY(`lab_id`, `policy`, `kernel`, `seq`),
	FOREIGN KEY (`lab_id`) REFERENCES `labs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
DROP TABLE `shadow_snapshots`;--> statement-breakpoint
ALTER TABLE `__new_shadow_snapshots` RENAME TO `shadow_snapshots`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
ALTER TABLE `labs` ADD `kernel` text DEFAULT '6.12' NOT NULL;--> statement-breakpoint
-- Snapshots are derived data, written under the previous core's rules (snapshot format 1, before kernel
-- profiles): the old shadow snapshots are not copied above, and these go too; labs rebuild from events.
DELETE FROM `snapshots`;