import { Migration } from '@mikro-orm/migrations';

/** Every receiver name Alertmanager can send is stored as it is (it has no length limit). */
export class Migration20261129000000_webhook_input extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "alert_receipt" alter column "receiver" type text;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert_receipt" alter column "receiver" type varchar(200) using left("receiver", 200);`);
  }
}
