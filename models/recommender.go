package models

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// MFConfig configures a MatrixFactorization recommender.
type MFConfig struct {
	Users, Items int     // ids 0..Users-1 and 0..Items-1
	Factors      int     // latent factors per user and item
	Std          float64 // std of the factors' N(0, Std²) initialisation (default 0.1)
	GlobalMean   float64 // initial global bias (the mean rating is a good start)
	Name         string  // parameter scope, default "mf"
}

// MatrixFactorization predicts a rating as a dot product of user and item
// factors plus biases (Koren, Bell & Volinsky 2009):
// r(u, i) = mu + b_u + b_i + <p_u, q_i>. Parameters: mf/users [U, K],
// mf/items [I, K], mf/user_bias [U], mf/item_bias [I], mf/mu [].
type MatrixFactorization struct {
	UserFactors, ItemFactors *Embedding
	UserBias, ItemBias, Mu   *graph.Node
	cfg                      MFConfig
}

// NewMatrixFactorization creates the factors and biases.
func NewMatrixFactorization(g *graph.Graph, cfg MFConfig) (*MatrixFactorization, error) {
	if cfg.Users <= 0 || cfg.Items <= 0 || cfg.Factors <= 0 {
		return nil, fmt.Errorf("models: NewMatrixFactorization: %d users, %d items, %d factors (want positive)", cfg.Users, cfg.Items, cfg.Factors)
	}
	std := cfg.Std
	if std == 0 {
		std = 0.1
	}
	s := g.Scope(orDefault(cfg.Name, "mf"))
	m := &MatrixFactorization{cfg: cfg}
	var err error
	if m.UserFactors, err = NewEmbedding(s.Scope("users"), cfg.Users, cfg.Factors, EmbeddingConfig{Init: graph.Normal{Std: std}}); err != nil {
		return nil, err
	}
	if m.ItemFactors, err = NewEmbedding(s.Scope("items"), cfg.Items, cfg.Factors, EmbeddingConfig{Init: graph.Normal{Std: std}}); err != nil {
		return nil, err
	}
	m.UserBias = s.Param("user_bias", []int{cfg.Users}, graph.Zeros())
	m.ItemBias = s.Param("item_bias", []int{cfg.Items}, graph.Zeros())
	m.Mu = s.Param("mu", []int{}, graph.Constant(cfg.GlobalMean))
	return m, g.Err()
}

// Predict returns the ratings [N] of users [N] for items [N] (Int ids).
func (m *MatrixFactorization) Predict(users, items *graph.Node) *graph.Node {
	dot := graph.Sum(graph.Mul(m.UserFactors.Forward(users), m.ItemFactors.Forward(items)), -1)
	bias := graph.Add(graph.IndexSelect(m.UserBias, 0, users), graph.IndexSelect(m.ItemBias, 0, items))
	return graph.Add(graph.Add(dot, bias), m.Mu)
}

// Forward takes x [N, 2] (Int: user id, item id per row) and returns the
// ratings as [N, 1], the shape of a regression target.
func (m *MatrixFactorization) Forward(x *graph.Node) *graph.Node {
	users := graph.Squeeze(graph.Slice(x, 1, 0, 1, 1), 1)
	items := graph.Squeeze(graph.Slice(x, 1, 1, 2, 1), 1)
	return graph.Unsqueeze(m.Predict(users, items), 1)
}

// Params returns the factors and the biases.
func (m *MatrixFactorization) Params() []*graph.Param {
	return append(append(m.UserFactors.Params(), m.ItemFactors.Params()...), params(m.UserBias, m.ItemBias, m.Mu)...)
}
