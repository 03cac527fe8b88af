import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, Int } from 'type-graphql';

/** What creating and changing a cluster take alike (a base of the two inputs below; not in the schema itself). */
@InputType('ClusterFields')
export abstract class ClusterFields {
  @Field(() => GraphQLJSONObject, { nullable: true })
  labels?: Record<string, string>;

  @Field(() => [String], { nullable: true })
  prometheusUrls?: string[];

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'TLS for calls to its Alertmanagers: caPem, certPem, minVersion (TLSv1.2|TLSv1.3), insecureSkipVerify (audited)',
  })
  tls?: Record<string, unknown> | null;

  @Field(() => String, {
    nullable: true,
    description: "The client certificate's private key (PEM); sealed, never shown; omitted on update = kept",
  })
  tlsKey?: string | null;
}

@InputType()
export class CreateClusterInput extends ClusterFields {
  @Field({ description: 'Letters, digits and _ . -; also the path of the cluster’s webhook and the default cluster label' })
  name!: string;

  @Field(() => [String], { description: 'Base URLs of the Alertmanager replicas' })
  alertmanagerUrls!: string[];

  @Field(() => Int, { nullable: true, description: 'How often sidecars poll for a new config (default 30)' })
  syncIntervalSeconds?: number;

  @Field({ nullable: true, description: 'Base alertmanager.yml (YAML): global, templates, receivers, route defaults …' })
  configTemplate?: string;

  @Field({ nullable: true, description: 'YAML list of routes' })
  routes?: string;

  @Field({ nullable: true, description: 'YAML list of inhibit rules' })
  inhibitRules?: string;
}

@InputType()
export class UpdateClusterInput extends ClusterFields {
  @Field({ nullable: true })
  name?: string;

  @Field(() => [String], { nullable: true })
  alertmanagerUrls?: string[];

  @Field(() => Int, { nullable: true })
  syncIntervalSeconds?: number;

  @Field({ nullable: true })
  configTemplate?: string;

  @Field({ nullable: true })
  routes?: string;

  @Field({ nullable: true })
  inhibitRules?: string;
}
