"""Review and the gate: what needs review, who may approve what (four eyes), the queue and the
trail, and the publish gate that alone decides what families read."""
