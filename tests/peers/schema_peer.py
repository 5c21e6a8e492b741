#!/usr/bin/env python3
"""A real schema-registry serializer for kview's interop tests: Confluent's Python client.

    schema_peer.py produce FORMAT TOPIC   JSON lines on stdin -> records on TOPIC (prints the ids)
    schema_peer.py consume FORMAT TOPIC N the first N records of TOPIC -> JSON lines on stdout

FORMAT is avro, protobuf or json. Environment: KVIEW_TEST_BROKERS, KVIEW_TEST_REGISTRY.
The schemas are fixed below; the Protobuf one imports a second file, so it is registered with a
reference, as real projects do.
"""
import json
import os
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

AVRO_SCHEMA = json.dumps({
    "type": "record", "name": "Reading", "namespace": "kview.peer",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "value", "type": "double"},
        {"name": "count", "type": "long"},
        {"name": "unit", "type": ["null", "string"], "default": None},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["TEMP", "HUMIDITY"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
    ],
})

JSON_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Reading", "type": "object",
    "properties": {
        "sensor": {"type": "string"},
        "value": {"type": "number"},
        "count": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["sensor", "value"],
})


def protobuf_class():
    """Reading (in kview/peer/reading.proto) with a Place imported from shared/place.proto."""
    place = descriptor_pb2.FileDescriptorProto(name="shared/place.proto", package="shared", syntax="proto3")
    m = place.message_type.add(name="Place")
    m.field.add(name="site", number=1, type=9, label=1, json_name="site")
    m.field.add(name="floor", number=2, type=5, label=1, json_name="floor")
    reading = descriptor_pb2.FileDescriptorProto(
        name="kview/peer/reading.proto", package="kview.peer", syntax="proto3",
        dependency=["shared/place.proto"])
    r = reading.message_type.add(name="Reading")
    r.field.add(name="sensor", number=1, type=9, label=1, json_name="sensor")
    r.field.add(name="value", number=2, type=1, label=1, json_name="value")
    r.field.add(name="count", number=3, type=3, label=1, json_name="count")
    r.field.add(name="tags", number=4, type=9, label=3, json_name="tags")
    r.field.add(name="place", number=5, type=11, label=1, type_name=".shared.Place", json_name="place")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(place)
    pool.Add(reading)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kview.peer.Reading"))


def with_retries(call, attempts=3):
    for attempt in range(attempts):
        try:
            return call()
        except Exception as e:  # timeouts and transport errors of the registry client
            if attempt + 1 == attempts:
                raise
            print(f"peer: retrying after {type(e).__name__}: {e}", file=sys.stderr)


def main():
    command, fmt, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    brokers = os.environ.get("KVIEW_TEST_BROKERS", "127.0.0.1:9092")
    # A request the registry leaves unanswered times out and is tried again (below), so a
    # stalled registry fails the test instead of hanging it.
    registry = SchemaRegistryClient({"url": os.environ["KVIEW_TEST_REGISTRY"], "timeout": 10})
    reading = protobuf_class() if fmt == "protobuf" else None
    if command == "produce":
        if fmt == "avro":
            serialize = AvroSerializer(registry, AVRO_SCHEMA)
            to_obj = lambda d: d
        elif fmt == "protobuf":
            serialize = ProtobufSerializer(reading, registry, {"use.deprecated.format": False})
            to_obj = lambda d: json_format.ParseDict(d, reading())
        else:
            serialize = JSONSerializer(JSON_SCHEMA, registry)
            to_obj = lambda d: d
        producer = Producer({"bootstrap.servers": brokers})
        ctx = SerializationContext(topic, MessageField.VALUE)
        for line in sys.stdin:
            if line.strip():
                value = with_retries(lambda: serialize(to_obj(json.loads(line)), ctx))
                producer.produce(topic, value=value)
                print(int.from_bytes(value[1:5], "big"))
        if producer.flush(30) != 0:
            sys.exit("peer: not every record was delivered")
    elif command == "consume":
        count = int(sys.argv[4])
        if fmt == "avro":
            deserialize = AvroDeserializer(registry)
            to_dict = lambda o: o
        elif fmt == "protobuf":
            deserialize = ProtobufDeserializer(reading, {"use.deprecated.format": False})
            to_dict = lambda o: json_format.MessageToDict(o, preserving_proto_field_name=True)
        else:
            deserialize = JSONDeserializer(None, schema_registry_client=registry)
            to_dict = lambda o: o
        consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"peer-{topic}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic])
        ctx = SerializationContext(topic, MessageField.VALUE)
        seen = 0
        while seen < count:
            msg = consumer.poll(30)
            if msg is None:
                sys.exit(f"peer: only {seen} of {count} records arrived")
            if msg.error():
                continue
            print(json.dumps(to_dict(deserialize(msg.value(), ctx)), sort_keys=True))
            seen += 1
        consumer.close()
    else:
        sys.exit(f"peer: unknown command {command}")


if __name__ == "__main__":
    main()
