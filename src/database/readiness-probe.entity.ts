import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per node that /readyz rewrites: the proof that the database still takes a write. */
@Entity({ name: 'readiness_probe' })
export class ReadinessProbeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64 })
  nodeId!: string;

  @Column({ name: 'checked_at', type: 'datetime', precision: 3 })
  checkedAt!: Date;
}
