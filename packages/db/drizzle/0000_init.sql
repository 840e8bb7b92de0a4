CREATE TABLE `events` (
	`lab_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`op` text NOT NULL,
	`errno` integer DEFAULT 0 NOT NULL,
	`code` text,
	`message` text,
	`effects` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`lab_id`, `seq`),
	FOREIGN KEY (`lab_id`) REFERENCES `labs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `labs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`policy` text NOT NULL,
	`template` text DEFAULT 'empty' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `labs_name_unique` ON `labs` (`name`);--> statement-breakpoint
CREATE TABLE `snapshots` (
	`lab_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`state` blob NOT NULL,
	PRIMARY KEY(`lab_id`, `seq`),
	FOREIGN KEY (`lab_id`) REFERENCES `labs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `snapshots_lab` ON `snapshots` (`lab_id`);