// A transactional producer for kview's tests, run as a single source file with Kafka's jars:
//   java -cp "<kafka libs>/*" Txn.java BOOTSTRAP TOPIC TXN_ID STEP...
// Each STEP is commit:N, abort:N (a transaction of N records, then committed or aborted) or
// open:N (N records in a transaction left open: the program prints "open" and waits to be
// killed). Record values are "<step>-<i>", keys "k<i>"; it prints "done" when every step ran.
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class Txn {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("transactional.id", args[2]);
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        props.put("transaction.timeout.ms", "600000");
        String topic = args[1];
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            for (int s = 3; s < args.length; s++) {
                String[] step = args[s].split(":");
                int n = Integer.parseInt(step[1]);
                producer.beginTransaction();
                for (int i = 0; i < n; i++) {
                    producer.send(new ProducerRecord<>(topic, "k" + i, step[0] + "-" + i)).get();
                }
                switch (step[0]) {
                    case "commit": producer.commitTransaction(); break;
                    case "abort": producer.abortTransaction(); break;
                    case "open":
                        producer.flush();
                        System.out.println("open");
                        System.out.flush();
                        Thread.sleep(Long.MAX_VALUE);
                        break;
                    default: throw new IllegalArgumentException("unknown step " + args[s]);
                }
            }
        }
        System.out.println("done");
    }
}
