CREATE TABLE `history_index` (
	`lab_id` integer NOT NULL,
	`vm` text NOT NULL,
	`seq` integer NOT NULL,
	`state` text NOT NULL,
	PRIMARY KEY(`lab_id`, `vm`),
	FOREIGN KEY (`lab_id`) REFERENCES `labs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `events_refused` ON `events` (`lab_id`) WHERE "events"."errno" <> 0;