CREATE TABLE `shadow_snapshots` (
	`lab_id` integer NOT NULL,
	`policy` text NOT NULL,
	`seq` integer NOT NULL,
	`refused` integer NOT NULL,
	`state` blob NOT NULL,
	PRIMARY KEY(`lab_id`, `policy`, `seq`),
	FOREIGN KEY (`lab_id`) REFERENCES `labs`(`id`) ON UPDATE no action ON DELETE cascade
);
