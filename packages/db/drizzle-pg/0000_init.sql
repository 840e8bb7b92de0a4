CREATE TABLE "events" (
	"lab_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"at" bigint NOT NULL,
	"op" text NOT NULL,
	"errno" integer DEFAULT 0 NOT NULL,
	"code" text,
	"message" text,
	"effects" text DEFAULT '[]' NOT NULL,
	"aborted" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "events_lab_id_seq_pk" PRIMARY KEY("lab_id","seq")
);
--> statement-breakpoint
CREATE TABLE "labs" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"policy" text NOT NULL,
	"kernel" text DEFAULT '6.12' NOT NULL,
	"template" text DEFAULT 'empty' NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "labs_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_snapshots" (
	"lab_id" integer NOT NULL,
	"policy" text NOT NULL,
	"kernel" text DEFAULT '6.12' NOT NULL,
	"seq" integer NOT NULL,
	"refused" integer NOT NULL,
	"state" "bytea" NOT NULL,
	CONSTRAINT "shadow_snapshots_lab_id_policy_kernel_seq_pk" PRIMARY KEY("lab_id","policy","kernel","seq")
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"lab_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"state" "bytea" NOT NULL,
	CONSTRAINT "snapshots_lab_id_seq_pk" PRIMARY KEY("lab_id","seq")
);
--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_lab_id_labs_id_fk" FOREIGN KEY ("lab_id") REFERENCES "public"."labs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_snapshots" ADD CONSTRAINT "shadow_snapshots_lab_id_labs_id_fk" FOREIGN KEY ("lab_id") REFERENCES "public"."labs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_lab_id_labs_id_fk" FOREIGN KEY ("lab_id") REFERENCES "public"."labs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "snapshots_lab" ON "snapshots" USING btree ("lab_id");